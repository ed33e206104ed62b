import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

export class ChangeScopesDto {
  @ApiProperty({ example: 'profile orders:read orders:write' })
  @IsString()
  @Length(0, 1024)
  @Matches(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$|^$/, {
    message: 'scope must be space-separated RFC 6749 scope tokens',
  })
  scope!: string;
}
