"""Reading and writing: instances, plans, road networks."""
