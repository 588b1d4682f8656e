"""The training panel: settings form, worker thread, live plots, data note, evaluation view."""
