"""What every app stands on and that imports none of them: domain errors and the HTTP API
plumbing (error envelope, pagination, parsers, schema helpers, input validation, rate limits).
"""
