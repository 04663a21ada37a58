"""The paper's theory (Section 4) as numbers on a 1-D grid, float64 on purpose:

- minimax.py  D*, V(D, G), C(G) = −log 4 + 2·JSD, KL and JSD, densities and their sample estimates
- figure1.py  the paper's Figure 1: the panels and the animation of a 1-D run (matplotlib)

    from npgan import theory
    theory.virtual_training_criterion(p_data, p_g, x)     # C(G) on the grid x
"""
from npgan.theory.minimax import (gaussian_kde, gaussian_pdf, histogram_density, integrate, js_divergence,
                                  kde_bandwidth, kl_divergence, mixture_pdf, optimal_discriminator, value,
                                  value_from_logits, virtual_training_criterion)

__all__ = ["integrate", "gaussian_pdf", "mixture_pdf", "value_from_logits", "optimal_discriminator", "value",
           "virtual_training_criterion", "kl_divergence", "js_divergence", "histogram_density", "kde_bandwidth",
           "gaussian_kde"]
