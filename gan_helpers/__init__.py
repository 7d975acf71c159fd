"""gan_helpers: the reference GAN code of the open GAN course.

One module per idea, each readable in one sitting:

- ``course``:  fast mode, seeding and device choice shared by every notebook and script
- ``checks``:  learner-facing checks that explain what is wrong in plain words
- ``losses``:  GAN losses as pure functions of discriminator logits
- ``toy1d``:   the one-dimensional adversarial game of chapter 0
- ``widgets``: interactive figures for the notebooks (static figures when headless)
"""

from gan_helpers.course import FAST_ENV, budget, choose_device, fast_mode, seed_everything

__version__ = "0.1.0"

__all__ = ["FAST_ENV", "budget", "choose_device", "fast_mode", "seed_everything", "__version__"]
