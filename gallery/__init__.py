"""The Keras applied-model gallery: classification, emotion, style transfer, summarisation."""
