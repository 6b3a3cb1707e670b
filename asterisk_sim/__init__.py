"""A simulated Asterisk 22 speaking ARI (REST + WebSocket) with simulated phones.

Used by the demo and the tests instead of a real Asterisk; no production code
imports it.
"""

from .phones import Behaviour
from .simulator import PhoneHandle, Simulator

__all__ = ["Behaviour", "PhoneHandle", "Simulator"]
