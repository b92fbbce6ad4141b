"""Networks: autoencoders, the clustering heads on their features, and DDC's run-wise networks.

* :mod:`~skdeepcluster.networks.autoencoders`: fully connected and
  convolutional autoencoders (and the user's own encoder and decoder);
* :mod:`~skdeepcluster.networks.heads`: the clustering heads (centroids,
  mixtures, softmax layers) that sit on a network's features;
* :mod:`~skdeepcluster.networks.runwise`: ``R`` independent networks
  evaluated as one module (DDC's restarts), and their training.

Every module returns a dict of named outputs (``"embedding"``,
``"reconstruction"``, ``"assignments"``, ...), so that the losses of
:mod:`skdeepcluster.losses` pick what they need whatever the network.
"""

from .autoencoders import *  # noqa: F401,F403
from .autoencoders import __all__ as _autoencoders
from .embedding import *  # noqa: F401,F403
from .embedding import __all__ as _embedding
from .heads import *  # noqa: F401,F403
from .heads import __all__ as _heads
from .runwise import *  # noqa: F401,F403
from .runwise import __all__ as _runwise

__all__ = [*_autoencoders, *_heads, *_runwise, *_embedding]
