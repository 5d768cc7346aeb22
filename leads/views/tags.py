"""(Being built.)"""

from django.http import Http404


def tag_list(request, *args, **kwargs):
    raise Http404


def tag_update(request, *args, **kwargs):
    raise Http404


def tag_merge(request, *args, **kwargs):
    raise Http404


def tag_delete(request, *args, **kwargs):
    raise Http404
