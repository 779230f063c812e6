from core.exceptions import ApplicationError, PermissionDenied


class FollowSelf(ApplicationError):
    code = "follow_self"
    message = "You cannot follow yourself."


class InvalidCursor(ApplicationError):
    code = "invalid_cursor"
    message = "Invalid cursor."


class NotFollowable(ApplicationError):
    code = "not_followable"
    message = "This cannot be followed."


class StaffOnly(PermissionDenied):
    code = "staff_only"
    message = "Only staff may change this."
