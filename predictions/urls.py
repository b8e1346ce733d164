from django.urls import path

from predictions import views

app_name = "predictions"

urlpatterns = [
    path("", views.home, name="home"),
]
