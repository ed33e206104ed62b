import { IsString, Length, Matches } from 'class-validator';

export class RegisterDto {
  @IsString()
  @Length(3, 64)
  @Matches(/^[A-Za-z0-9._@-]+$/, {
    message: 'username may contain letters, digits and . _ @ - only',
  })
  username!: string;

  @IsString()
  @Length(8, 256)
  password!: string;
}

export class LoginDto {
  @IsString()
  @Length(1, 64)
  username!: string;

  @IsString()
  @Length(1, 256)
  password!: string;
}

export class RefreshDto {
  @IsString()
  @Length(1, 512)
  refresh_token!: string;
}

export class ChangePasswordDto {
  @IsString()
  @Length(1, 256)
  current_password!: string;

  @IsString()
  @Length(8, 256)
  new_password!: string;
}
