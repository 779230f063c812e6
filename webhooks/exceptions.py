from core.exceptions import Conflict, NotFound


class EndpointNotFound(NotFound):
    code = "webhook_not_found"
    message = "No such webhook endpoint."


class DeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"
    message = "No such delivery of this endpoint."


class BuiltinEndpoint(Conflict):
    code = "webhook_builtin"
    message = "This endpoint is EXTERNAL_WEBHOOK_URL's: change the setting instead."


class EndpointDisabled(Conflict):
    code = "webhook_disabled"
    message = "The endpoint is disabled: enable it (PATCH is_active) before redelivering."
