"""dynapprox: the shared code of the book *Approximation Theory of Deep Learning
from the Dynamical Viewpoint*.

Modules follow the mathematics:

- :mod:`dynapprox.trigonometric` - trigonometric approximation (chapter 1);
- :mod:`dynapprox.rates` - fitted log-log convergence rates;
- :mod:`dynapprox.reproducibility` - seeding and determinism;
- :mod:`dynapprox.plotting` - the book's figure style.
"""

from .reproducibility import seed_everything

__version__ = "0.1.0"
__all__ = ["seed_everything", "__version__"]
