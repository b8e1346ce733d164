from django.urls import path

from predictions import views

app_name = "predictions"

urlpatterns = [
    path("", views.home, name="home"),
    path("predictions/", views.my_predictions, name="mine"),
    path("privacy/", views.privacy, name="privacy"),
    path("upload/", views.upload, name="upload"),
    path("upload/template.csv", views.upload_template, name="upload-template"),
    path("upload/<slug:request_id>.csv", views.upload_download, name="upload-download"),
    path("upload/<slug:request_id>/", views.upload_result, name="upload-result"),
]
