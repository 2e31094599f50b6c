"""Generated pattern modules loaded with `attnc.load(path)` live here (`attnc.patterns.<name>`)."""
