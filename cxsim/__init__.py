"""cxsim: an agent-based model of organizational culture vs. strategy in customer experience."""

from .load import Results, load_results
from .model import COLUMNS, CXModel
from .organization import Level, StaffMember
from .scenario import Scenario, ScenarioError, apply_overrides, load_scenario

__version__ = "0.3.0"

__all__ = [
    "COLUMNS",
    "CXModel",
    "Level",
    "Results",
    "Scenario",
    "ScenarioError",
    "StaffMember",
    "__version__",
    "apply_overrides",
    "load_results",
    "load_scenario",
]
