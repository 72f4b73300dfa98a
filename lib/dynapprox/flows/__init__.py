r"""Flows of ordinary differential equations and continuous-time residual networks.

A residual network :math:`x_{k+1} = x_k + h\, f(x_k, \theta_k)` is the forward Euler
scheme of the controlled dynamics

.. math::

    \dot x_t = f(x_t, \theta_t), \qquad t \in [0, T], \qquad x_0 = x,

and the model's output is :math:`g(\varphi_T(x))`, with :math:`\varphi_T` the flow map
(time-:math:`T` map) and :math:`g` a terminal map. The subpackage has one module per
object:

* :mod:`dynapprox.flows.integrators` - fixed-step integration (Euler = ResNet, RK4) and
  flows of piecewise constant fields;
* :mod:`dynapprox.flows.controlled` - the control family :math:`V\sigma(Wx + b)`, its flow
  maps (fixed-step and adaptive) and the continuous-time ResNet;
* :mod:`dynapprox.flows.training` - full-batch training by :class:`torch.optim.Adam`;
* :mod:`dynapprox.flows.talk` - the two-dimensional example of the talk;
* :mod:`dynapprox.flows.onedim` - one-dimensional flows in closed form and the
  obstruction to approximating decreasing maps.

Every public name is re-exported here (``flows.odeint``, ``flows.ContinuousResNet``, ...).
"""

from __future__ import annotations

from .controlled import (
    ACTIVATIONS,
    NUMPY_ACTIVATIONS,
    TERMINALS,
    ContinuousResNet,
    control_field,
    controlled_flow,
    controlled_flow_exact,
    gaussian_initializer,
)
from .integrators import METHODS, Field, odeint, piecewise_flow
from .onedim import (
    flow_sup_error_lower_bound,
    pl_flow_controls,
    relu_field_flow,
    relu_flow_composition,
)
from .talk import talk_example_dataset, talk_vector_field
from .training import train_full_batch

__all__ = [
    "METHODS",
    "Field",
    "odeint",
    "piecewise_flow",
    "ACTIVATIONS",
    "NUMPY_ACTIVATIONS",
    "TERMINALS",
    "control_field",
    "controlled_flow",
    "controlled_flow_exact",
    "gaussian_initializer",
    "ContinuousResNet",
    "train_full_batch",
    "talk_vector_field",
    "talk_example_dataset",
    "relu_field_flow",
    "relu_flow_composition",
    "pl_flow_controls",
    "flow_sup_error_lower_bound",
]
