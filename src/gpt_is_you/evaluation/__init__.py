"""Persona fidelity: how close generated replies come to the real person's, and copies."""
