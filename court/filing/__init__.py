"""Filing by photo with an electronic signature (R6–R9): submissions, pages, clerk review."""
