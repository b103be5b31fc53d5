"""Anyone may check a court document: by upload, by the code printed on it, or offline."""
