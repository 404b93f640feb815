"""Emotions of the faces in a photo or a video: detect (YuNet, or the Haar fallback), crop, classify."""

from pathlib import Path

from gallery.classification.predict import load_classifier
from gallery.emotion.train import as_rgb
from gallery.emotion.video import analyse_video, is_video
from gallery.errors import USER_ERRORS
from gallery.preprocessing.faces import find_faces, resize_face
from gallery.preprocessing.images import error_entry, per_image

NO_FACE = "no face found (try a frontal, well-lit face, or --no-detect for a face crop)"


def load_emotion_model(model_dir):
    """(model, emotion names) from a model folder (cached)."""
    return load_classifier(str(model_dir), "emotion")


def face_results(model, class_names, boxes, crops):
    """One dict per face: box [x, y, w, h], its 48×48 gray crop, top label and the full distribution."""
    if not crops:
        return []
    probabilities = model.predict(as_rgb(crops), verbose=0)
    return [{"box": [int(v) for v in box], "crop": crop, "label": class_names[int(p.argmax())],
             "probabilities": {name: float(value) for name, value in zip(class_names, p)}}
            for box, crop, p in zip(boxes, crops, probabilities)]


def analyse_image(model, class_names, image, detect=True, detector=None):
    """Faces of an RGB uint8 image with their emotions; `detect=False` treats the image as one face crop."""
    if not detect:
        height, width = image.shape[:2]
        return face_results(model, class_names, [[0, 0, width, height]], [resize_face(image)])
    faces = find_faces(image, detector=detector)
    return face_results(model, class_names, [face.box for face in faces], [face.crop for face in faces])


def without_crops(faces):
    return [{key: value for key, value in face.items() if key != "crop"} for face in faces]


def predict_files(model_dir, paths, detect=True, detector=None):
    """Per file: its faces, a 'no face found' message, or an error; videos get per-frame faces and tracks."""
    model, class_names = load_emotion_model(model_dir)

    def analyse(image):
        faces = without_crops(analyse_image(model, class_names, image, detect, detector))
        return {"faces": faces} if faces else {"faces": [], "message": NO_FACE}

    def video(path):
        try:
            result = analyse_video(lambda frame: analyse_image(model, class_names, frame, detect, detector), path)
        except USER_ERRORS as error:
            return error_entry(path, error)
        for frame in result["frames"]:
            frame["faces"] = without_crops(frame["faces"])
        return {"file": str(path), **result}

    results = []
    for path in paths:
        results += [video(path)] if is_video(path) and not Path(path).is_dir() else per_image([path], analyse)
    return results
