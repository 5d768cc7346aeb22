"""The import wizard's pages (views in imports/views/). Being built."""

app_name = "imports"

urlpatterns: list = []
