"""Online mediation (R10–R16): the mediator directory first; requests, sessions and
agreements build on it."""
