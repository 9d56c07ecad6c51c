"""The web console for case managers and supervisors: a second face of casework."""
