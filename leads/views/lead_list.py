"""(Being built.)"""

from django.http import Http404


def lead_list(request, *args, **kwargs):
    raise Http404


def bulk_action_create(request, *args, **kwargs):
    raise Http404


def bulk_action_detail(request, *args, **kwargs):
    raise Http404


def lead_columns_save(request, *args, **kwargs):
    raise Http404


def lead_sample_csv(request, *args, **kwargs):
    raise Http404
