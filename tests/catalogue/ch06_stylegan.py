"""Wrong implementations for chapter 6: parameter counts, AdaIN, modulated convolution, style mixing,
truncation, and a check question."""

from tests.catalogue import Mistake

ADAIN_MEAN = "    mean = x.mean(dim=(2, 3), keepdim=True)                        # [B, C, 1, 1]"
ADAIN_VAR = "    var = x.var(dim=(2, 3), keepdim=True, unbiased=False)          # [B, C, 1, 1], biased"
ADAIN_NORM = "    normalised = (x - mean) / torch.sqrt(var + eps)                # [B, C, H, W]"
DEMOD = "        w = w / torch.sqrt(w.square().sum(dim=(2, 3, 4), keepdim=True) + eps)  # unit norm per (b, o)"
MODULATE = "    w = weight[None] * styles[:, None, :, None, None]                           # [B, O, I, k, k]"
CONV_W = "    w = modulate_weights(weight, styles, demodulate, eps)                       # [B, O, I, k, k]"
CONV_RETURN = "    return out.reshape(B, O, H, W)"
MIX = "    return torch.cat([ws1[:, :crossover], ws2[:, crossover:]], dim=1)"
TRUNC = "    return w_avg + psi * (w - w_avg)"
MAP = "    w = G.mapping(z)                                                # [B, w_dim]"
APPLY_TRUNC = "    w = truncate(w, G.mapping.w_avg, psi)                           # [B, w_dim]"
BROADCAST = "    return w.unsqueeze(1).repeat(1, G.num_ws, 1)                    # [B, num_ws, w_dim]"

ADAIN = ("adain_stats", "adain_values")
MODCONV = ("modconv_weights", "modconv_conv")
TRUNCATION = ("truncate_check", "truncated_styles_check")

MISTAKES = [
    # Exercise 1: counting the 1024² model.
    Mistake("count-synthesis-only", "count_solution",
            (("generator_params = sum(p.numel() for p in G_1024.parameters())",
              "generator_params = sum(p.numel() for p in G_1024.synthesis.parameters())"),),
            ("count_check",), "counted only the synthesis network as the generator, leaving out the mapping"),
    # Exercise 2: AdaIN.
    Mistake("adain-batch-statistics", "adain_solution",
            ((ADAIN_MEAN, "    mean = x.mean(dim=(0, 2, 3), keepdim=True)"),
             (ADAIN_VAR, "    var = x.var(dim=(0, 2, 3), keepdim=True, unbiased=False)")),
            ADAIN, "normalised over the batch as well (batch norm), not per sample"),
    Mistake("adain-unbiased-variance", "adain_solution",
            ((ADAIN_VAR, "    var = x.var(dim=(2, 3), keepdim=True)"),),
            ADAIN, "used torch's default unbiased variance"),
    Mistake("adain-eps-outside-sqrt", "adain_solution",
            ((ADAIN_NORM, "    normalised = (x - mean) / (torch.sqrt(var) + eps)"),),
            ("adain_values",), "added eps to the standard deviation instead of the variance"),
    # Exercise 3: modulated convolution with demodulation.
    Mistake("demod-wrong-axes", "modconv_solution",
            ((DEMOD, "        w = w / torch.sqrt(w.square().sum(dim=(1, 3, 4), keepdim=True) + eps)"),),
            MODCONV, "demodulated over the output channels instead of the input channels"),
    Mistake("modulate-output-not-weights", "modconv_solution",
            ((CONV_W, "    w = modulate_weights(weight, torch.ones_like(styles), demodulate, eps)"),
             (CONV_RETURN, "    return out.reshape(B, O, H, W) * styles[:, :, None, None]")),
            ("modconv_conv",), "scaled the convolution's output by the style instead of the weights"),
    Mistake("demod-forgotten", "modconv_solution",
            (("    if demodulate:\n" + DEMOD, "    pass"),),
            MODCONV, "modulated the weights but never demodulated them"),
    # Exercise 4: style mixing.
    Mistake("mixing-off-by-one", "mixing_solution",
            ((MIX, "    return torch.cat([ws1[:, :crossover + 1], ws2[:, crossover + 1:]], dim=1)"),),
            ("mixing_check",), "layer `crossover` itself taken from ws1 (index <= crossover)"),
    Mistake("mixing-sources-swapped", "mixing_solution",
            ((MIX, "    return torch.cat([ws2[:, :crossover], ws1[:, crossover:]], dim=1)"),),
            ("mixing_check",), "the early layers taken from ws2 and the late ones from ws1"),
    # Exercise 5: truncation.
    Mistake("truncation-in-z", "truncation_solution",
            ((MAP, "    w = G.mapping(psi * z)"), (APPLY_TRUNC, "")),
            ("truncated_styles_check",), "scaled z toward 0 instead of truncating w toward w_avg"),
    Mistake("truncation-wrong-sign", "truncation_solution",
            ((TRUNC, "    return w_avg + psi * (w_avg - w)"),),
            TRUNCATION, "pulled toward w_avg with the difference the wrong way round"),
    Mistake("truncation-not-broadcast", "truncation_solution",
            ((BROADCAST, "    return w"),),
            ("truncated_styles_check",), "returned one w per sample instead of one per layer"),
    # Check questions.
    Mistake("check-coarse-controls-colour", "answer_q1",
            (('answer_q1 = "b"', 'answer_q1 = "a"'),),
            ("check_q1",), "thinks the coarse layers set colour and texture"),
]
