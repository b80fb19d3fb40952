"""``python -m cxsim``: the ``cxsim`` command."""

from .cli import app

app(prog_name="cxsim")
