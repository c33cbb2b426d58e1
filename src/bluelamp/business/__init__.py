"""Met Business Services: HR (the workforce record), and later finance and commercial."""
