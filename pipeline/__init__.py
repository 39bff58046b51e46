"""consult-analyser: turn a folder of consultation responses into evidence a drafting team can act on."""

__version__ = "0.1.0"
