from core.exceptions import ApplicationError, Conflict, PermissionDenied


class ConnectSelf(ApplicationError):
    code = "connect_self"
    message = "You cannot connect with yourself."


class AlreadyConnected(Conflict):
    code = "already_connected"
    message = "You are already connected."


class ConnectionDeclined(Conflict):
    code = "connection_declined"
    message = "This person declined your request."


class NotAddressee(PermissionDenied):
    code = "not_addressee"
    message = "Only the person asked can answer a connection request."


class NotParticipant(PermissionDenied):
    code = "not_participant"
    message = "This connection is not yours."


class ConnectionNotPending(Conflict):
    code = "connection_not_pending"
    message = "This request has been answered already."


class NotConnected(PermissionDenied):
    code = "not_connected"
    message = "You can message only the people you are connected with."
