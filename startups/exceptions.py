from core.exceptions import Conflict, PermissionDenied


class FoundersOnly(PermissionDenied):
    code = "founders_only"
    message = "Only founders can create startups."


class NotStartupOwner(PermissionDenied):
    code = "not_startup_owner"
    message = "Only the startup's owner can do this."


class TalentOnly(PermissionDenied):
    code = "talent_only"
    message = "Only talent accounts can apply to opportunities."


class OwnStartup(PermissionDenied):
    code = "own_startup"
    message = "You cannot apply to your own startup's opportunity."


class NotApplicant(PermissionDenied):
    code = "not_applicant"
    message = "Only the applicant can do this."


class OpportunityClosed(Conflict):
    code = "opportunity_closed"
    message = "This opportunity is closed to new applications."


class ApplicationExists(Conflict):
    code = "application_exists"
    message = "You have already applied to this opportunity."


class InvalidTransition(Conflict):
    code = "invalid_transition"
