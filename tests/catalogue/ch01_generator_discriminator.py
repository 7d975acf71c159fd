"""Wrong implementations for chapter 1: transposed-conv size, the DCGAN pair, initialisation, a check question."""

from tests.catalogue import Mistake

CONVT = "    return (size - 1) * stride - 2 * padding + (kernel - 1) + output_padding + 1"
G_LAST = "            nn.ConvTranspose2d(64, 3, 4, 2, 1),                                      # → [B, 3, 64, 64], no BN"
G_TANH = "            nn.Tanh(),\n"
D_FIRST = "            nn.Conv2d(3, 64, 4, 2, 1), nn.LeakyReLU(0.2),"
D_RETURN = "        return self.to_logit(h).view(-1)             # [B] logits"
INIT_WEIGHT = "        nn.init.normal_(module.weight, mean=0.0, std=0.02)"
INIT_BN = "        nn.init.normal_(module.weight, mean=1.0, std=0.02)"
INIT_KINDS = "isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))"
INIT_BIAS = "        if module.bias is not None:\n            nn.init.zeros_(module.bias)"

BOTH_INIT = ("init_tests", "build_models_tests")


def convt(name: str, body: str, why: str) -> Mistake:
    return Mistake(name=name, cell="convt_solution", patches=((CONVT, body),), loses=("convt_tests",), why=why)


def init(name: str, old: str, new: str, loses: tuple[str, ...], why: str) -> Mistake:
    return Mistake(name=name, cell="init_solution", patches=((old, new),), loses=loses, why=why)


MISTAKES = [
    # conv_transpose_out
    convt("convt-conv-formula", "    return (size + 2 * padding - kernel) // stride + 1",
          "used the size formula of an ordinary convolution, which shrinks instead of growing"),
    convt("convt-padding-once", CONVT.replace("- 2 * padding", "- padding"),
          "subtracted the padding once, though it is trimmed from both ends"),
    convt("convt-output-padding-ignored", CONVT.replace(" + output_padding", ""),
          "left output_padding out of the formula (right whenever it is 0)"),
    convt("convt-size-times-stride", "    return size * stride",
          "'each layer doubles the side', generalised to size * stride"),
    # Generator
    Mistake(name="g-no-tanh", cell="generator_solution", patches=((G_TANH, ""),), loses=("generator_tests",),
            why="the generator's output layer has no tanh, so pixels are unbounded"),
    Mistake(name="g-bn-on-output", cell="generator_solution",
            patches=((G_LAST, "            nn.ConvTranspose2d(64, 3, 4, 2, 1), nn.BatchNorm2d(3),"),),
            loses=("generator_tests",), why="batch norm on the generator's output layer"),
    Mistake(name="g-sigmoid-output", cell="generator_solution", patches=(("nn.Tanh()", "nn.Sigmoid()"),),
            loses=("generator_tests",), why="a sigmoid output ([0, 1]) for images scaled to [-1, 1]"),
    Mistake(name="g-no-padding", cell="generator_solution",
            patches=(("nn.ConvTranspose2d(512, 256, 4, 2, 1)", "nn.ConvTranspose2d(512, 256, 4, 2)"),),
            loses=("generator_tests",), why="padding left at 0 in one block, so the side is not doubled"),
    # Discriminator
    Mistake(name="d-sigmoid-inside", cell="discriminator_solution",
            patches=((D_RETURN, "        return torch.sigmoid(self.to_logit(h)).view(-1)"),),
            loses=("discriminator_tests",), why="D ends in a sigmoid, so it returns probabilities, not logits"),
    Mistake(name="d-bn-on-input", cell="discriminator_solution",
            patches=((D_FIRST, "            nn.Conv2d(3, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),"),),
            loses=("discriminator_tests",), why="batch norm on the discriminator's input layer"),
    Mistake(name="d-logits-b-by-1", cell="discriminator_solution",
            patches=((D_RETURN, "        return self.to_logit(h)"),),
            loses=("discriminator_tests",), why="returned the linear layer's [B, 1] instead of logits [B]"),
    # dcgan_init and build_models
    init("init-mean-std-swapped", INIT_WEIGHT, "        nn.init.normal_(module.weight, 0.02)", BOTH_INIT,
         "nn.init.normal_(w, 0.02) sets the mean to 0.02 and leaves the std at 1"),
    init("init-bn-scale-around-zero", INIT_BN, "        nn.init.normal_(module.weight, mean=0.0, std=0.02)", BOTH_INIT,
         "batch-norm scales drawn around 0 like the conv weights, which nearly switches every channel off"),
    init("init-conv2d-only", INIT_KINDS, "isinstance(module, nn.Conv2d)", BOTH_INIT,
         "only nn.Conv2d is initialised: ConvTranspose2d is not a subclass of it, and Linear is forgotten"),
    init("init-misses-linear", INIT_KINDS, "isinstance(module, (nn.Conv2d, nn.ConvTranspose2d))", BOTH_INIT,
         "copied from a fully convolutional DCGAN: the dense layers keep PyTorch's default initialisation"),
    init("init-bias-none-crash", INIT_BIAS, "        nn.init.zeros_(module.bias)", ("init_tests",),
         "zeroes the bias without checking it exists, which fails on a bias=False layer"),
    Mistake(name="init-never-applied", cell="build_solution",
            patches=(("    G.apply(dcgan_init)\n    D.apply(dcgan_init)\n", ""),),
            loses=("build_models_tests",), why="dcgan_init is written but never applied to the models"),
    # Check questions
    Mistake(name="check-d-outputs-probability", cell="answer_q2", patches=(('answer_q2 = "b"', 'answer_q2 = "a"'),),
            loses=("check_q2",), why="thinks D ends in a sigmoid and returns probabilities"),
]
