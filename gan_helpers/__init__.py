"""gan_helpers: the reference GAN code of the open GAN course.

One module per idea, each readable in one sitting (its docstring documents the family):

Course plumbing
- ``course``:      fast mode, seeding and device choice shared by every notebook and script
- ``checks``:      learner-facing checks that explain what is wrong in plain words
- ``validate``:    input checks of the library: errors name the expected and received value
- ``widgets``:     interactive figures for the notebooks (static figures when headless)

Chapter companions (the logic behind each chapter's widgets and figures, as plain tested functions)
- ``noise_mapping``: chapter 1: a 1-D noise-to-data GAN, the DCGAN data-flow and init figures
- ``minmax``:      chapter 2: both players' losses and gradients in logits, D*, C(G), the landscape widget
- ``dynamics``:    chapter 3: small GAN runs under switches, the break-it lab's measured signatures
- ``collapse``:    chapter 4: training snapshots on the 2-D toys, JSD along the collapse path, the scenario's numbers
- ``lipschitz``:   chapter 5: JS against W1 as distributions separate, power-iteration spectral norm, the critic scenario
- ``style_mixing``: chapter 6: AdaIN, style mixing, truncation and their sliders on shipped tiny StyleGAN2 weights
- ``patch_maps``:  chapter 7: the PatchGAN per-patch real/fake map and the short CycleGAN run
- ``latency``:     chapter 8: honest latency measurement, one-pass against iterative sampling, the tradeoff plot

Losses, data and metrics
- ``losses``:      BCE (saturating / non-saturating), LSGAN, hinge, Wasserstein, gradient penalty, R1, path length
- ``data``:        offline data (2-D toys, scikit-learn's digits, thin/thick stroke domains) and
                   never-downloading loaders for MNIST, Fashion-MNIST, CIFAR-10, CelebA, image folders
- ``metrics``:     pairwise distances, mode coverage, Fréchet distance, JSD, 1-D Wasserstein, precision/recall
- ``digits_classifier``: the offline digits classifier behind the course's digits FID

Models (each with a trainer for ``training.fit``)
- ``toy1d``:       the one-dimensional adversarial game of chapter 0
- ``toy2d``:       MLP GANs on the ring of 8 and grid of 25 Gaussians
- ``dcgan``:       DCGAN, any power-of-two resolution (presets tiny, ch1, examples, paper)
- ``wgan``:        WGAN-GP critic and training step
- ``stylegan2``:   StyleGAN2 (config-f matches the official parameter counts)
- ``conditional``: class-conditional G and D, concatenation and projection discriminators
- ``cyclegan``:    CycleGAN: ResNet generator, PatchGAN, cycle and identity losses, image pool
- ``pix2pix``:     pix2pix: U-Net generator and conditional PatchGAN

Training
- ``training``:    one loop for every family: progress bar, sample grids, checkpoints, exact resume
- ``distributed``: training under ``torchrun`` (gloo/NCCL, gradient all-reduce, per-rank seeds, rank-0 files), bf16
- ``cli``:         ``python -m gan_helpers {train,sample,presets}``
"""

from gan_helpers.course import FAST_ENV, budget, choose_device, fast_mode, seed_everything

__version__ = "0.1.0"

__all__ = ["FAST_ENV", "budget", "choose_device", "fast_mode", "seed_everything", "__version__"]
