from django.urls import path

from drift import views

app_name = "drift"

urlpatterns = [path("", views.dashboard, name="dashboard")]
