"""Files from and to the user's disk: bounded reading, and atomic writing that keeps the file's ways."""
