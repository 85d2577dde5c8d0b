"""Code that runs inside the grading child: the pytest plugin and the socket guard."""
