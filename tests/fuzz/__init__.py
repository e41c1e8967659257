"""The fuzz campaign of issue 19: strategies and its short CI run."""
