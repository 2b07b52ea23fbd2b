"""The thin layer between widgets and the core: a controller and its worker threads."""
