"""Cases and their parties. Filing (issue: filing by photo) fills them in."""
