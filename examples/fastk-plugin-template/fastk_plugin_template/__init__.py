"""The hook implementations: one per plugin kind this package provides.

fastk imports this module (the entry point's value) to build its command line, so it must stay
cheap: the plugin modules below import torch, cv2 etc. only inside their methods.
"""

import fastk
from fastk_plugin_template.backbone import TinyCnn
from fastk_plugin_template.cam import ActivationMap
from fastk_plugin_template.command import count
from fastk_plugin_template.dataset import ImageList
from fastk_plugin_template.landmarks import DlibGray
from fastk_plugin_template.protocol import HeldOutSubjects
from fastk_plugin_template.selector import TopHalf

__all__ = ["ActivationMap", "DlibGray", "HeldOutSubjects", "ImageList", "TinyCnn", "TopHalf", "count"]


@fastk.hookimpl
def fastk_register_area_selectors(registry):
    registry.add(TopHalf)


@fastk.hookimpl
def fastk_register_datasets(registry):
    registry.add(ImageList)


@fastk.hookimpl
def fastk_register_landmark_detectors(registry):
    registry.add(DlibGray)


@fastk.hookimpl
def fastk_register_cam_methods(registry):
    registry.add(ActivationMap)


@fastk.hookimpl
def fastk_register_backbones(registry):
    registry.add(TinyCnn)


@fastk.hookimpl
def fastk_register_protocols(registry):
    registry.add(HeldOutSubjects)


@fastk.hookimpl
def fastk_register_commands(cli):
    cli.add_command(count)
