"""The lists pages (views in lists/views.py). Being built."""

app_name = "lists"

urlpatterns: list = []
