"""Result exports: Gradescope ``results.json``, JUnit XML and CSV gradebook rows."""
