from django import forms


class LookupForm(forms.Form):
    image_id = forms.CharField(
        label="Image id",
        max_length=1000,
        strip=False,  # the one validator trims; the raw text is what gets recorded
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "fd8… paste an image id",
                "size": 40,
            }
        ),
    )
