"""Regenerate gan_helpers/weights/patch_maps.pt, the chapter 7 PatchGAN discriminators.

    python scripts/train_patch_maps.py            # 800 steps each from seed 0, about a minute on a CPU

Same as ``python -m gan_helpers.patch_maps``; see that module's docstring for what is trained.
"""

from gan_helpers.patch_maps import main

if __name__ == "__main__":
    main()
