"""Neural style transfer: a loss network, optimisation and fast feed-forward networks."""
