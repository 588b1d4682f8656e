"""Text shown to people: numbers as they read them, and text from files made safe to print."""
