from core.exceptions import ApplicationError, Conflict


class EmailTaken(Conflict):
    code = "email_taken"
    message = "An account with this email already exists."


class WrongPassword(ApplicationError):
    code = "wrong_password"
    message = "The current password is not correct."
