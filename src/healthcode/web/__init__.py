"""The web layer (issue #5): thin routes that parse, call a use case and render."""

from healthcode.web.app import create_app

__all__ = ["create_app"]
