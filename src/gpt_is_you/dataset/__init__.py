"""From normalized messages to validated, counted, priced training examples."""
