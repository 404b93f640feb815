"""Emotions of the faces in a photo: detect (shared Haar detector), crop, classify."""

from gallery.classification.predict import load_classifier
from gallery.emotion.train import as_rgb
from gallery.preprocessing.faces import find_faces, resize_face
from gallery.preprocessing.images import per_image


def load_emotion_model(model_dir):
    """(model, emotion names) from a model folder (cached)."""
    return load_classifier(str(model_dir))


def face_results(model, class_names, boxes, crops):
    """One dict per face: box [x, y, w, h], top label and the full probability distribution."""
    if not crops:
        return []
    probabilities = model.predict(as_rgb(crops), verbose=0)
    return [{"box": [int(v) for v in box], "label": class_names[int(p.argmax())],
             "probabilities": {name: float(value) for name, value in zip(class_names, p)}}
            for box, p in zip(boxes, probabilities)]


def analyse_image(model, class_names, image, detect=True, detector="haar"):
    """Faces of an RGB uint8 image with their emotions; `detect=False` treats the image as one face crop."""
    if not detect:
        height, width = image.shape[:2]
        return face_results(model, class_names, [[0, 0, width, height]], [resize_face(image)])
    faces = find_faces(image, detector=detector)
    return face_results(model, class_names, [face.box for face in faces], [face.crop for face in faces])


def predict_files(model_dir, paths, detect=True, detector="haar"):
    """Per file: its faces, a 'no face found' message, or an error."""
    model, class_names = load_emotion_model(model_dir)

    def analyse(image):
        faces = analyse_image(model, class_names, image, detect, detector)
        if faces:
            return {"faces": faces}
        return {"faces": [], "message": "no face found (try a frontal, well-lit face, or --no-detect for a face crop)"}

    return per_image(paths, analyse)
