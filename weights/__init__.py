"""Trained model weights shipped with dredfast (DNNw blobs, see NOTICE)."""
