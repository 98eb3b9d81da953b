"""Service Template's library: what the service does, without the web framework."""

from service_template.errors import ServiceTemplateError
from service_template.greeting import greet

__all__ = ["ServiceTemplateError", "greet"]
