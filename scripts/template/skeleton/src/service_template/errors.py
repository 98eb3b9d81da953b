"""The library's one root error: the service maps it to a 4xx answer."""


class ServiceTemplateError(Exception):
    """Bad input to the library; the message names the value and what to do."""
